/**
 * `POST /append` and `POST /append/batch`: request-level faults first (drop, 429/503, latency,
 * forced TransientBackpressure), then one JSON.parse of the body, validation of every event, and
 * processing in request order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimEngine } from './engine.js';
import { RequestFault } from './faults.js';
import { BodyTooLarge, readBody, sendError, sendJson, sleep } from './http-util.js';
import { processEvents } from './process.js';
import { BadRequest, EventColumns, parseEvents, validateEvents } from './validate.js';

const cols = new EventColumns();

export async function handleAppend(
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
  batch: boolean,
): Promise<void> {
  const fault = engine.faults.decide();
  if (fault === RequestFault.Drop) {
    // Before reading or processing anything: nothing of this request is applied.
    req.socket.destroy();
    return;
  }
  const limit = engine.opts.maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    res.setHeader('connection', 'close');
    sendError(res, 413, 'payload_too_large', `body of ${declared} bytes exceeds the limit of ${limit} bytes`);
    req.resume();
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (e) {
    if (e instanceof BodyTooLarge) {
      sendError(res, 413, 'payload_too_large', `body exceeds the limit of ${limit} bytes`);
      return;
    }
    throw e;
  }
  const latency = engine.faults.latencyMs();
  if (latency > 0) {
    const epoch = engine.epoch;
    await sleep(latency);
    if (engine.epoch !== epoch) {
      // Reset while this request was held: it belongs to the run before the reset. Nothing applied.
      req.socket.destroy();
      return;
    }
  }
  if (fault === RequestFault.Http429 || fault === RequestFault.Http503) {
    const ms = engine.faults.faults.retryAfterMs;
    const status = fault === RequestFault.Http429 ? 429 : 503;
    const error = status === 429 ? 'too_many_requests' : 'unavailable';
    const retryAfter = String(Math.ceil(ms / 1000));
    sendJson(
      res,
      status,
      { error, detail: 'injected fault', retry_after_ms: ms },
      { 'retry-after': retryAfter },
    );
    return;
  }
  let results: string[];
  try {
    const events = parseEvents(body.toString('utf8'), String(req.headers['content-type'] ?? ''), batch);
    validateEvents(events, cols, engine, batch ? 'events' : 'event');
    if (batch) engine.requests.batch++;
    else engine.requests.single++;
    engine.requests.events += cols.n;
    results = processEvents(engine, cols, fault === RequestFault.Transient);
  } catch (e) {
    if (e instanceof BadRequest) {
      sendError(res, e.error === 'unsupported_media_type' ? 415 : 400, e.error, e.detail);
      return;
    }
    throw e;
  }
  sendJson(res, 200, batch ? '{"results":[' + results.join(',') + ']}' : results[0]!);
}
