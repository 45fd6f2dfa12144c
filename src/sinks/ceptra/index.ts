export { abortableSleep, expBackoffMs, hintBackoffMs, parseRetryAfter } from '../../common/backoff.js';
export { classifyHttp, classifyResult, HttpAction, Outcome } from './classify.js';
export { CeptraClient, type RetryTally, Route } from './client.js';
export { CeptraControlClient, type ConfigPatchResult, type ReadyzBody } from './control.js';
export { CreditWindow, type CreditWindowOptions } from './credit-window.js';
export { parseBatchResponse, parseResult, parseSingleResponse } from './decode.js';
export { encodeBatch, encodePrefixes, encodeSingle, hintSuffix } from './encode.js';
export {
  BatchEncoding,
  type CeptraClientOptions,
  type CeptraTlsOptions,
  defaultCeptraClientOptions,
  type PemSource,
  resolveCeptraClientOptions,
  SendMode,
} from './options.js';
export { CeptraSink, createCeptraSink } from './sink.js';
export { UndiciTransport } from './transport.js';
export type * from './types.js';
