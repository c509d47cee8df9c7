// The simulator's process model and scenarios: pure and deterministic (scenario file loading aside),
// so the protocol servers, drills and tests all drive the same plant.
export * from './faults'
export * from './layout'
export * from './model'
export * from './physics'
export * from './scenario'
