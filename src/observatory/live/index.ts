/** The live loop: frame pacing, measurement and terminal restore around the renderer. */
export { EventLoopLagSampler } from './event-loop-lag.js';
export { runLive, type LiveOptions, type LiveSummary } from './run-live.js';
export { KeyReader, keyAction, type KeyInput, type LiveKey } from './key-reader.js';
