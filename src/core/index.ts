/** The engine's public surface: parse → classify → findings → fixes, plus diff and timeline. */
export * from './types';
export { Dump, PERM_R, PERM_W, PERM_X, PERM_SHARED, FLAG_DELETED } from './dump';
export { DumpParser, parseDump } from './parse';
export { analyze, analyzeText, DEFAULT_MAX_MAP_COUNT } from './analyze';
export { KINDS, KIND_INFO, countsTowardLimit } from './kinds';
export { formatBytes, formatCount, formatDuration, formatPercent, parseSize } from './format';
export { toHex, parseHex, toBigInt, isAligned } from './addr';
export { diffDumps } from './diff';
export type { DumpDiff, KindDelta, RangeGrowth, VmaRef } from './diff';
export { forecast, orderSamples, sampleOf, sampleTimes } from './timeline';
export type { Forecast, ForecastOptions, TimelineSample, TimeBasis } from './timeline';
export { processIdentity, processDifferences } from './identity';
export type { ProcessIdentity } from './identity';
