import { describe, expect, it } from 'vitest'
import { ApiFailure, createDispatcher, type Handlers } from '../../src/backend/api/dispatcher'
import { silentLogger } from '../../src/backend/log/logger'
import { requestChannels, requests, type RequestChannel } from '../../src/shared/api/contract'

// Fuzzes the one door into the backend (DESIGN.md §3.1): whatever a renderer, a browser page or a
// compromised renderer sends, the dispatcher must answer with an envelope, never throw, never run a
// handler on a payload the contract refuses, and never let a key like __proto__ reach a prototype.
// Seeded, so a failure reproduces: the seed and the message number are in every failure line.

const perChannel = 10_000

/** mulberry32: tiny, fast and good enough to spread inputs; no dependency. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
type Rng = () => number
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T
const int = (rng: Rng, below: number): number => Math.floor(rng() * below)

const incidentId = 'INC-20261122-001-7F3A9C'

/** A payload each channel accepts; channels whose request is empty (or all optional) take {}. */
const validSamples: Partial<Record<RequestChannel, Record<string, unknown>>> = {
  getValues: { tagIds: ['p1.pressure', 'p1.level'] },
  getSourceDiagnostics: { sourceId: 'plc-a' },
  proposeByteOrder: { sourceId: 'plc-a', unitId: 1, table: 'holding', offset: 100, expected: 12.5 },
  trustServerCertificate: { thumbprint: '0123456789abcdef0123456789ABCDEF01234567' },
  startDrill: { scenarioId: 'boiler-trip' },
  getJournal: { beforeSeq: 10, limit: 50 },
  queryHistory: { tagIds: ['p1.pressure'], from: 1000, to: 2000, maxPoints: 500 },
  getQuarantine: { limit: 100 },
  retryQuarantined: { ids: ['q-1', 'q-2'] },
  acknowledgeAlarms: { alarmIds: ['p1.pressure.hh'] },
  shelveAlarm: { alarmId: 'p1.pressure.hh', reason: 'transmitter fault', minutes: 60 },
  unshelveAlarm: { alarmId: 'p1.pressure.hh' },
  commentAlarm: { alarmId: 'p1.pressure.hh', text: 'checked on site' },
  setAlarmOutOfService: { alarmId: 'p1.pressure.hh', reason: 'sensor replaced' },
  returnAlarmToService: { alarmId: 'p1.pressure.hh' },
  declareIncident: {
    severity: 'P2',
    title: 'Boiler 1 trip',
    plants: ['p1'],
    roles: { commander: 'Dana Whitfield', technicalLead: null },
    suggestionId: 'sug-1',
    overrideReason: 'worse than it looks',
    startedAt: 1_700_000_000_000,
  },
  changeIncidentSeverity: { incidentId, severity: 'P1', reason: 'second boiler down' },
  assignIncidentRoles: { incidentId, roles: { commander: 'Ravi Menon', scribe: 'Tom' } },
  setIncidentPlants: { incidentId, plants: ['p1', 'p2'] },
  startIncidentMitigation: { incidentId, summary: 'standby boiler firing' },
  recordIncidentCall: {
    incidentId,
    levelId: 'on-call-primary',
    contact: 'Dana Whitfield',
    outcome: 'reached',
    note: '',
  },
  tickIncidentItem: { incidentId, checklistId: 'c1', itemId: 'i1', done: true, note: 'done' },
  draftIncidentUpdate: { incidentId, kind: 'update' },
  sendIncidentUpdate: { incidentId, kind: 'initial', text: 'Boiler 1 tripped at 10:02.' },
  addIncidentNote: { incidentId, text: 'fuel valve stuck' },
  resolveIncident: { incidentId, summary: 'heat restored', openCriteriaReason: 'later' },
  getIncidentReview: { incidentId },
  saveIncidentReview: {
    incidentId,
    review: {
      summary: 's',
      impact: 'i',
      timeline: 't',
      rootCause: 'r',
      contributingFactors: 'c',
      whyNotCaught: 'w',
      wentWell: 'ww',
      wentPoorly: 'wp',
      actionItems: [{ action: 'fix valve', owner: 'Ravi', due: '2026-01-02', status: 'open' }],
      preventiveShortTerm: 'p',
      preventiveLongTerm: 'pl',
      approvals: [{ role: 'engineering manager', name: 'Priya', approvedOn: '' }],
    },
  },
  dismissIncidentSuggestion: { suggestionId: 'sug-1', reason: 'drill in progress' },
  getIncidentTimeline: { incidentId },
}
const validSample = (channel: RequestChannel): Record<string, unknown> =>
  validSamples[channel] ?? {}

const longString = 'x'.repeat(100_001)
const longSpaces = ' '.repeat(30_000)
const trickyStrings = [
  '',
  ' ',
  '\t\n',
  'a',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'polluted',
  '\u0000',
  '\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '🔥🧯',
  'e\u0301',
  '${process.exit()}',
  '../../etc/passwd',
  'all',
  'INC-20261122-001-7f3a9c',
  'INC-20261122-001-7F3A9C\n',
  '1e3',
  'NaN',
  longString,
  longSpaces,
]
const trickyNumbers = [
  0,
  -0,
  1,
  -1,
  0.5,
  2,
  255,
  256,
  1000,
  1001,
  5000,
  5001,
  65_535,
  65_536,
  100_000,
  100_001,
  NaN,
  Infinity,
  -Infinity,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_VALUE,
  1e308,
  -1e308,
  Number.MAX_VALUE,
]
const trickyKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', '', 'extra']

/** Every key and leaf string of the valid samples: random objects use them to get past shape checks. */
const sampleKeys: string[] = []
const sampleStrings: string[] = []
;(function collect(value: unknown): void {
  if (typeof value === 'string') sampleStrings.push(value)
  else if (Array.isArray(value)) value.forEach(collect)
  else if (value && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) {
      sampleKeys.push(key)
      collect(inner)
    }
})(Object.values(validSamples))

/** Sets an own property even for "__proto__", as JSON.parse does: plain assignment would not. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    configurable: true,
    writable: true,
  })
}

function randomString(rng: Rng): string {
  const roll = rng()
  if (roll < 0.4) return pick(rng, trickyStrings)
  if (roll < 0.7) return pick(rng, sampleStrings)
  let text = ''
  for (let i = int(rng, 12); i > 0; i--) text += String.fromCharCode(int(rng, 0xffff))
  return text
}

function randomNumber(rng: Rng): number {
  return rng() < 0.6 ? pick(rng, trickyNumbers) : (rng() - 0.5) * 10 ** int(rng, 20)
}

/** Values a structured-clone transport (Electron's MessagePort) could carry but JSON cannot. */
const oddValues = (): unknown[] => [
  undefined,
  10n,
  new Date(0),
  new Map([['a', 1]]),
  new Uint8Array(3),
]

function randomValue(rng: Rng, depth: number): unknown {
  const roll = rng()
  if (roll < 0.06) return null
  if (roll < 0.12) return rng() < 0.5
  if (roll < 0.3) return randomNumber(rng)
  if (roll < 0.5) return randomString(rng)
  if (roll < 0.54) return pick(rng, oddValues())
  if (depth <= 0) return pick(rng, [null, 0, '', [], {}])
  if (roll < 0.72) {
    return Array.from({ length: int(rng, rng() < 0.01 ? 1200 : 5) }, () =>
      randomValue(rng, depth - 1),
    )
  }
  return randomObject(rng, depth - 1)
}

function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {}
  for (let i = int(rng, 6); i > 0; i--) {
    const key =
      rng() < 0.5 ? pick(rng, sampleKeys) : rng() < 0.6 ? pick(rng, trickyKeys) : randomString(rng)
    setOwn(object, key, randomValue(rng, depth))
  }
  return object
}

/** A replacement for a value that keeps its type but leaves the allowed range. */
function outOfRange(rng: Rng, value: unknown): unknown {
  if (typeof value === 'number') return pick(rng, trickyNumbers)
  if (typeof value === 'string') return pick(rng, ['', ' ', longString, longSpaces, value + ' \0'])
  if (Array.isArray(value)) {
    // Past every max in the contract (5000 ids, 100 tags…); 100,001 only rarely, it is slow to build.
    const length = rng() < 0.02 ? 100_001 : pick(rng, [101, 1001, 5001])
    return rng() < 0.5 ? [] : Array.from({ length }, () => value[0])
  }
  return randomValue(rng, 2)
}

/** One random change somewhere inside a copy of a valid payload. */
function mutate(rng: Rng, root: Record<string, unknown>): void {
  // Walk down a random path, stopping at some container along it.
  let node: Record<string, unknown> | unknown[] = root
  for (;;) {
    // Only plain objects and arrays: a Date or a typed array from randomValue is a leaf here.
    const children = Object.values(node).filter(
      (child) =>
        Array.isArray(child) ||
        (child !== null &&
          typeof child === 'object' &&
          Object.getPrototypeOf(child) === Object.prototype),
    )
    if (children.length === 0 || rng() < 0.5) break
    node = pick(rng, children) as Record<string, unknown> | unknown[]
  }
  const keys = Object.keys(node)
  const key = keys.length > 0 ? pick(rng, keys) : null
  const target = node as Record<string, unknown>
  const op = int(rng, 6)
  if (op === 0 && key !== null) {
    if (Array.isArray(node)) {
      // By hand: splice consults node.constructor, which an earlier mutation may have replaced.
      for (let i = Number(key); i < node.length - 1; i++) node[i] = node[i + 1]
      node.length = Math.max(0, node.length - 1)
    } else delete target[key]
  } else if (op === 1) {
    setOwn(target, rng() < 0.5 ? pick(rng, trickyKeys) : randomString(rng), randomValue(rng, 2))
  } else if (op === 2 && key !== null) {
    target[key] = randomValue(rng, 2)
  } else if (op === 3 && key !== null) {
    target[key] = outOfRange(rng, target[key])
  } else if (op === 4 && key !== null) {
    // A type swap that keeps the "shape" of the value: number as string, string as number…
    const value = target[key]
    target[key] =
      typeof value === 'number'
        ? String(value)
        : typeof value === 'string'
          ? Number(value)
          : Array.isArray(value)
            ? { ...value }
            : value && typeof value === 'object'
              ? Object.values(value)
              : value === null
                ? 'null'
                : !value
  } else if (key !== null) {
    // A key whose own value is an object aimed at a prototype.
    setOwn(target, '__proto__', { polluted: true, [key]: 'hijacked' })
  }
}

function generatePayload(rng: Rng, channel: RequestChannel): unknown {
  const roll = rng()
  if (roll < 0.1) return structuredClone(validSample(channel))
  if (roll < 0.55) {
    const payload = structuredClone(validSample(channel))
    for (let n = 1 + int(rng, 3); n > 0; n--) mutate(rng, payload)
    return payload
  }
  if (roll < 0.7) return randomObject(rng, 3)
  if (roll < 0.75)
    return JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
    )
  return randomValue(rng, 4)
}

/** For failure lines only: a short, safe rendering of anything. */
function show(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'bigint'
        ? `${inner}n`
        : typeof inner === 'number' && !Number.isFinite(inner)
          ? String(inner)
          : inner,
    )
    return (text ?? String(value)).slice(0, 200)
  } catch {
    return String(value).slice(0, 200)
  }
}

/** Whatever a handler, a parser or a merge could have planted on the shared prototypes. */
function pollution(): string | null {
  const probe = {} as Record<string, unknown>
  for (const key of ['polluted', 'hijacked', 'extra']) {
    if (probe[key] !== undefined) return `Object.prototype.${key} is set`
  }
  if (Object.getPrototypeOf(probe) !== Object.prototype) return 'the prototype of {} changed'
  if (([] as unknown as Record<string, unknown>).polluted !== undefined)
    return 'Array.prototype.polluted is set'
  return null
}

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort()

type Recorder = {
  dispatch: ReturnType<typeof createDispatcher>
  runs: Array<{ channel: string; request: unknown }>
}

/** A real dispatcher whose handlers only record the call, then answer, fail cleanly or crash. */
function recordingDispatcher(): Recorder {
  const runs: Recorder['runs'] = []
  let calls = 0
  const handlers = Object.fromEntries(
    requestChannels.map((channel) => [
      channel,
      (request: unknown) => {
        runs.push({ channel, request })
        calls++
        if (calls % 3 === 1) throw new ApiFailure('stub-refused', 'the stub said no')
        if (calls % 3 === 2) throw new Error('the stub crashed')
        return { stub: channel }
      },
    ]),
  ) as unknown as Handlers
  return { dispatch: createDispatcher(handlers, silentLogger), runs }
}

/** What is wrong with an answer, or null: the envelope every transport can rely on. */
function envelopeProblem(response: unknown, id: number | null): string | null {
  if (!response || typeof response !== 'object') return `not an object: ${show(response)}`
  const r = response as Record<string, unknown>
  if (r.kind !== 'response') return `kind is ${show(r.kind)}`
  if (!Object.is(r.id, id)) return `id ${show(r.id)}, expected ${id}`
  if (typeof r.ok !== 'boolean') return `ok is ${show(r.ok)}`
  if (!r.ok) {
    const error = r.error as Record<string, unknown> | undefined
    if (typeof error?.code !== 'string' || typeof error.message !== 'string' || !error.message)
      return `error is ${show(error)}`
  }
  return null
}

describe('API dispatcher fuzz', () => {
  it('has a valid sample for every channel, so mutations start from the accepted side', () => {
    const refused = requestChannels.filter(
      (channel) => !requests[channel].request.safeParse(validSample(channel)).success,
    )
    expect(refused).toEqual([])
    expect(
      Object.keys(validSamples).filter((name) => !requestChannels.includes(name as RequestChannel)),
    ).toEqual([])
  })

  it.each(requestChannels.map((channel, index) => [channel, index] as const))(
    '%s: runs its handler exactly when the contract accepts the payload',
    async (channel, index) => {
      const seed = 0x5eed + index
      const rng = prng(seed)
      const { dispatch, runs } = recordingDispatcher()
      const schema = requests[channel].request
      const failures: string[] = []
      let accepted = 0
      for (let n = 0; n < perChannel && failures.length < 20; n++) {
        const payload = generatePayload(rng, channel)
        // The dispatcher treats an absent payload as {} (a request with no arguments); so does the oracle.
        const expected = schema.safeParse(payload ?? {}).success
        if (expected) accepted++
        const before = runs.length
        let response: unknown
        try {
          response = await dispatch({ kind: 'request', id: n, channel, payload })
        } catch (error) {
          failures.push(`seed ${seed} #${n}: dispatch threw ${String(error)} on ${show(payload)}`)
          continue
        }
        const ran = runs.length - before
        const problem = envelopeProblem(response, n) ?? pollution()
        if (problem) failures.push(`seed ${seed} #${n}: ${problem} for ${show(payload)}`)
        if (ran !== (expected ? 1 : 0))
          failures.push(
            `seed ${seed} #${n}: ran ${ran}, contract says ${expected}: ${show(payload)}`,
          )
        const request = runs[before]?.request
        if (
          ran &&
          (Object.getPrototypeOf(request) !== Object.prototype ||
            Object.hasOwn(request as object, '__proto__'))
        )
          failures.push(`seed ${seed} #${n}: handler got a request with a foreign prototype`)
        if (
          !expected &&
          (response as { error?: { code?: string } }).error?.code !== 'invalid-request'
        )
          failures.push(`seed ${seed} #${n}: refused payload answered ${show(response)}`)
      }
      expect(failures).toEqual([])
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames)
      // Both sides must be exercised for the "if and only if" to mean anything.
      expect(accepted).toBeGreaterThan(perChannel * 0.05)
      expect(perChannel - accepted).toBeGreaterThan(perChannel * 0.5)
    },
  )

  it('answers malformed envelopes without running any handler', async () => {
    const rng = prng(0xbad)
    const { dispatch, runs } = recordingDispatcher()
    const cyclic: Record<string, unknown> = { kind: 'request', id: 1, channel: 'getSystemInfo' }
    cyclic.payload = cyclic
    const fixed: unknown[] = [
      undefined,
      null,
      0,
      'getSystemInfo',
      [],
      [{ kind: 'request', id: 1, channel: 'getSystemInfo', payload: {} }],
      {},
      { kind: 'request', channel: 'getSystemInfo', payload: {} },
      { kind: 'response', id: 1, channel: 'getSystemInfo', payload: {} },
      { kind: 'event', id: 1, channel: 'getSystemInfo', payload: {} },
      { kind: 'request', id: -1, channel: 'getSystemInfo', payload: {} },
      { kind: 'request', id: 1.5, channel: 'getSystemInfo', payload: {} },
      { kind: 'request', id: '1', channel: 'getSystemInfo', payload: {} },
      { kind: 'request', id: NaN, channel: 'getSystemInfo', payload: {} },
      { kind: 'request', id: 1, channel: 'getSystemInfo', payload: {}, extra: true },
      { kind: 'request', id: 1, channel: 7, payload: {} },
      JSON.parse(
        '{"kind":"request","id":1,"channel":"getSystemInfo","payload":{},"__proto__":{"polluted":1}}',
      ),
      new Date(0),
    ]
    const badChannels = [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'getSystemInfo ',
      ' getSystemInfo',
      'GETSYSTEMINFO',
      'getSystemInfo\u0000',
      '',
      longString,
    ]
    const messages: unknown[] = [
      ...fixed,
      ...badChannels.map((channel) => ({ kind: 'request', id: 3, channel, payload: {} })),
    ]
    for (let n = 0; n < 20_000; n++) {
      const envelope: Record<string, unknown> = {
        kind: 'request',
        id: n,
        channel: pick(rng, requestChannels),
        payload: {},
      }
      // Break the envelope itself; a valid payload must not save it.
      const field = pick(rng, ['kind', 'id', 'channel', 'missing', 'extra', '__proto__', 'whole'])
      if (field === 'whole') messages.push(randomValue(rng, 3))
      else if (field === 'missing') delete envelope[pick(rng, ['kind', 'id', 'channel'])]
      else if (field === 'channel')
        envelope.channel = rng() < 0.5 ? pick(rng, badChannels) : randomValue(rng, 1)
      else if (field === 'kind' || field === 'id') setOwn(envelope, field, randomValue(rng, 1))
      else setOwn(envelope, field, randomValue(rng, 1))
      messages.push(envelope)
    }
    const failures: string[] = []
    let stillValid = 0
    for (const [n, message] of messages.entries()) {
      const before = runs.length
      let response: unknown
      try {
        response = await dispatch(message)
      } catch (error) {
        failures.push(`#${n}: dispatch threw ${String(error)} on ${show(message)}`)
        continue
      }
      const envelope = (typeof message === 'object' ? message : null) as Record<
        string,
        unknown
      > | null
      // A random change may leave the envelope valid (an id replaced by another integer): skip it.
      if (
        envelope?.kind === 'request' &&
        Number.isInteger(envelope.id) &&
        (envelope.id as number) >= 0 &&
        typeof envelope.channel === 'string' &&
        Object.hasOwn(requests, envelope.channel) &&
        Object.keys(envelope).every((key) => ['kind', 'id', 'channel', 'payload'].includes(key))
      ) {
        stillValid++
        continue
      }
      // The answer echoes a numeric id so the sender can match it; anything else gets null.
      const id = typeof envelope?.id === 'number' ? envelope.id : null
      const problem = envelopeProblem(response, id) ?? pollution()
      if (problem) failures.push(`#${n}: ${problem} for ${show(message)}`)
      if ((response as { ok?: boolean }).ok !== false)
        failures.push(`#${n}: accepted ${show(message)}`)
      if (runs.length !== before) failures.push(`#${n}: a handler ran for ${show(message)}`)
    }
    expect(failures).toEqual([])
    expect(messages.length - stillValid).toBeGreaterThan(15_000)
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames)
  })
})
