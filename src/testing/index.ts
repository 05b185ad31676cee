/**
 * `podling/testing`: record a test's conversation with a real engine once, replay it byte for
 * byte afterwards with no daemon, through the client's own transport.
 */
export { withEngine, modeFromEnv, MODES, ReplayMismatchError, type Mode, type SessionOptions, type SessionContext } from './session.js';
export { startRecorder, defaultUpstream, type Recorder, type RecorderOptions, type Upstream } from './recorder.js';
export { startReplayer, MISS_STATUS, type Replayer, type ReplayerOptions } from './replayer.js';
export { loadFixture, saveFixture, parseFixture, FixtureError, type Fixture, type FixtureExchange, type Piece } from './fixture.js';
export { EPOCH, REDACTED } from './normalize.js';
export { recordCommand, replayCommand, runCommand, CommandError, type CommandOptions, type RecordCommandOptions, type RecordCommandResult, type ReplayCommandResult } from './command.js';
