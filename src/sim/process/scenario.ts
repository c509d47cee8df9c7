import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseYaml, type FileProblem } from '../../shared/file-problem'
import { z } from 'zod'
import { faultSchema } from './faults'
import { siteLayout, type SiteLayout } from './layout'
import { checkFaultReferences, createProcessModel, type Outcome, type ProcessModel } from './model'

// A scenario is a timed script of faults for the simulator (resources/scenarios/*.yaml): what breaks,
// when, and what it should do to the plant. The optional `expect` list states the outcome the
// scenario is built to produce (e.g. "the drum passes 95 % of its safety valve between 140 and
// 160 s"), so a drill author and the test suite can both check that it still does.

const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'use letters, digits, ".", "_" or "-", starting with a letter or digit',
  )

const seconds = z.number().min(0).max(86_400)

const stepSchema = z
  .strictObject({
    atSeconds: seconds,
    fault: faultSchema.optional(),
    /** The id of a fault applied by an earlier step. */
    clear: identifier.optional(),
  })
  .superRefine((step, context) => {
    if ((step.fault === undefined) === (step.clear === undefined)) {
      context.addIssue({
        code: 'custom',
        message: 'a step has exactly one of "fault" (to apply) or "clear" (a fault id)',
        path: [],
      })
    }
  })

const expectationSchema = z
  .strictObject({
    point: z.string().min(1),
    above: z.number().optional(),
    below: z.number().optional(),
    equals: z.boolean().optional(),
    /** The condition first holds at a scenario time within [from, to], s. */
    betweenSeconds: z.tuple([seconds, seconds]),
    /**
     * Only times from here on count, s (default 0): for a recovery, where the condition also held
     * before the fault.
     */
    afterSeconds: seconds.default(0),
  })
  .superRefine((expectation, context) => {
    const given = [expectation.above, expectation.below, expectation.equals].filter(
      (value) => value !== undefined,
    )
    if (given.length !== 1) {
      context.addIssue({
        code: 'custom',
        message: 'an expectation has exactly one of "above", "below" or "equals"',
        path: [],
      })
    }
    if (expectation.betweenSeconds[0] > expectation.betweenSeconds[1]) {
      context.addIssue({
        code: 'custom',
        message: 'the window must start before it ends',
        path: ['betweenSeconds'],
      })
    }
    if (expectation.afterSeconds > expectation.betweenSeconds[0]) {
      context.addIssue({
        code: 'custom',
        message: 'afterSeconds must not be later than the start of the window',
        path: ['afterSeconds'],
      })
    }
  })

export const scenarioSchema = z
  .strictObject({
    id: identifier,
    title: z.string().min(1),
    description: z.string().min(1),
    /** The runbook section the scenario exercises, e.g. "GL-001 › Safety Protocols › boiler pressure alarm". */
    runbook: z.string().min(1),
    /**
     * The severity the runbook gives this situation: what a drill's debrief holds the operator to
     * (acknowledge within 5 minutes for P0, and so on).
     */
    severity: z.enum(['P0', 'P1', 'P2', 'P3']),
    /** How long the scenario runs, s; at least the time of its last step. */
    durationSeconds: z.number().gt(0).max(86_400),
    steps: z.array(stepSchema).min(1),
    expect: z.array(expectationSchema).default([]),
  })
  .superRefine((scenario, context) => {
    const applied = new Set<string>()
    const cleared = new Set<string>()
    let previous = 0
    for (const [index, step] of scenario.steps.entries()) {
      const at = ['steps', index, 'atSeconds']
      if (step.atSeconds < previous) {
        context.addIssue({ code: 'custom', message: 'steps must be in time order', path: at })
      }
      if (step.atSeconds > scenario.durationSeconds) {
        context.addIssue({
          code: 'custom',
          message: `this step comes after the scenario ends (durationSeconds ${scenario.durationSeconds})`,
          path: at,
        })
      }
      previous = Math.max(previous, step.atSeconds)
      if (step.fault) {
        if (applied.has(step.fault.id)) {
          context.addIssue({
            code: 'custom',
            message: `fault id "${step.fault.id}" is used twice; give each fault its own id`,
            path: ['steps', index, 'fault', 'id'],
          })
        }
        applied.add(step.fault.id)
      }
      if (step.clear !== undefined) {
        if (!applied.has(step.clear) || cleared.has(step.clear)) {
          context.addIssue({
            code: 'custom',
            message: `"${step.clear}" is not a fault applied by an earlier step and still active`,
            path: ['steps', index, 'clear'],
          })
        }
        cleared.add(step.clear)
      }
    }
    for (const [index, expectation] of scenario.expect.entries()) {
      if (expectation.betweenSeconds[1] > scenario.durationSeconds) {
        context.addIssue({
          code: 'custom',
          message: 'the window ends after the scenario does',
          path: ['expect', index, 'betweenSeconds'],
        })
      }
    }
  })

export type Scenario = z.output<typeof scenarioSchema>
export type ScenarioStep = Scenario['steps'][number]
export type ScenarioExpectation = Scenario['expect'][number]

export type ScenarioLoad =
  | { ok: true; scenario: Scenario; file: string }
  | { ok: false; problems: FileProblem[]; file: string }

/**
 * Parses and validates a scenario, including that every plant, boiler, consumer and point it names
 * exists in the layout. Every problem names the file, line, column and field path.
 */
export function parseScenarioText(
  text: string,
  file: string,
  layout: SiteLayout = siteLayout,
): ScenarioLoad {
  const parsedYaml = parseYaml(text, file)
  if (!parsedYaml.ok) return { ok: false, file, problems: parsedYaml.problems }
  const locate = (path: (string | number)[], message: string) => parsedYaml.problemAt(path, message)
  const parsed = scenarioSchema.safeParse(parsedYaml.data)
  if (!parsed.success) {
    return {
      ok: false,
      file,
      problems: parsed.error.issues.map((issue) =>
        locate(
          issue.path.filter((part): part is string | number => typeof part !== 'symbol'),
          issue.message,
        ),
      ),
    }
  }
  const scenario = parsed.data
  const problems: FileProblem[] = []
  for (const [index, step] of scenario.steps.entries()) {
    if (!step.fault) continue
    const problem = checkFaultReferences(layout, step.fault)
    if (problem) problems.push(locate(['steps', index, 'fault', ...problem.path], problem.message))
  }
  if (scenario.expect.length > 0) {
    const model = createProcessModel({ seed: 0, layout })
    for (const [index, expectation] of scenario.expect.entries()) {
      const path = ['expect', index]
      if (!model.has(expectation.point)) {
        problems.push(
          locate([...path, 'point'], `the simulator has no point "${expectation.point}"`),
        )
        continue
      }
      const kind = model.points().find((point) => point.id === expectation.point)?.kind
      if ((kind === 'flag') !== (expectation.equals !== undefined)) {
        problems.push(
          locate(
            path,
            kind === 'flag'
              ? `${expectation.point} is a flag: use "equals: true" or "equals: false"`
              : `${expectation.point} is a number: use "above" or "below"`,
          ),
        )
      }
    }
  }
  return problems.length > 0 ? { ok: false, file, problems } : { ok: true, scenario, file }
}

export async function loadScenarioFile(
  path: string,
  layout: SiteLayout = siteLayout,
): Promise<ScenarioLoad> {
  const file = resolve(path)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const message =
      code === 'ENOENT'
        ? 'the scenario file does not exist'
        : `the scenario file cannot be read (${code ?? String(error)})`
    return { ok: false, file, problems: [{ file, line: null, column: null, path: '', message }] }
  }
  return parseScenarioText(text, file, layout)
}

/** Loads every `*.yaml` scenario of a folder, in file-name order. */
export async function loadScenarioDirectory(
  directory: string,
  layout: SiteLayout = siteLayout,
): Promise<ScenarioLoad[]> {
  const names = (await readdir(directory)).filter((name) => /\.ya?ml$/.test(name)).sort()
  return Promise.all(names.map((name) => loadScenarioFile(join(directory, name), layout)))
}

// ---- running --------------------------------------------------------------------------------

export type ScenarioLogEntry = {
  /** Scenario time the step was scheduled for, s. */
  atSeconds: number
  action: 'fault' | 'clear'
  faultId: string
  outcome: Outcome
}

export type ExpectationStatus = ScenarioExpectation & {
  /** Scenario time the condition first held, s; null while it has not. */
  firstAtSeconds: number | null
  /** met: first held inside the window; early: before it; missed: the window passed without it. */
  state: 'pending' | 'met' | 'early' | 'missed'
}

export type ScenarioRunner = {
  readonly scenario: Scenario
  /**
   * Advances the model by dtMs, applying each step exactly at its scheduled time (the model is
   * stepped up to it, the fault applied, then stepping continues).
   */
  step: (dtMs: number) => void
  /** Scenario time, ms since the runner was created. */
  elapsedMs: () => number
  /** True once the scenario's duration has passed. */
  done: () => boolean
  log: () => ScenarioLogEntry[]
  /** Expectations are sampled at the end of every runner step, so their resolution is the step size. */
  expectations: () => ExpectationStatus[]
}

export function createScenarioRunner(model: ProcessModel, scenario: Scenario): ScenarioRunner {
  const startMs = model.now()
  const entries: ScenarioLogEntry[] = []
  const firstAt: (number | null)[] = scenario.expect.map(() => null)
  let next = 0

  const elapsedMs = () => model.now() - startMs

  const holds = (expectation: ScenarioExpectation): boolean => {
    const value = model.read(expectation.point)
    if (expectation.equals !== undefined) return value === expectation.equals
    if (typeof value !== 'number') return false
    if (expectation.above !== undefined) return value > expectation.above
    if (expectation.below !== undefined) return value < expectation.below
    return false
  }

  const sample = () => {
    for (const [index, expectation] of scenario.expect.entries()) {
      const nowSeconds = elapsedMs() / 1000
      if (firstAt[index] !== null || nowSeconds < expectation.afterSeconds) continue
      if (holds(expectation)) firstAt[index] = nowSeconds
    }
  }

  const applyDue = (untilMs: number) => {
    for (let step = scenario.steps[next]; step; step = scenario.steps[next]) {
      const dueMs = step.atSeconds * 1000
      if (dueMs > untilMs) break
      if (dueMs > elapsedMs()) model.step(dueMs - elapsedMs())
      const outcome = step.fault ? model.applyFault(step.fault) : model.clearFault(step.clear ?? '')
      entries.push({
        atSeconds: step.atSeconds,
        action: step.fault ? 'fault' : 'clear',
        faultId: step.fault?.id ?? step.clear ?? '',
        outcome,
      })
      next += 1
    }
  }

  return {
    scenario,
    step: (dtMs) => {
      if (!(Number.isFinite(dtMs) && dtMs >= 0)) {
        throw new RangeError(`step needs a finite, non-negative time in ms, got ${dtMs}`)
      }
      const targetMs = elapsedMs() + dtMs
      applyDue(targetMs)
      if (targetMs > elapsedMs()) model.step(targetMs - elapsedMs())
      sample()
    },
    elapsedMs,
    done: () => next >= scenario.steps.length && elapsedMs() >= scenario.durationSeconds * 1000,
    log: () => [...entries],
    expectations: () => {
      const nowSeconds = elapsedMs() / 1000
      return scenario.expect.map((expectation, index) => {
        const first = firstAt[index] ?? null
        const [from, to] = expectation.betweenSeconds
        let state: ExpectationStatus['state'] = 'pending'
        if (first !== null) state = first < from ? 'early' : first <= to ? 'met' : 'missed'
        else if (nowSeconds > to) state = 'missed'
        return { ...expectation, firstAtSeconds: first, state }
      })
    },
  }
}

/** Steps a runner in fixed chunks until its scenario has run its whole duration. */
export function runScenarioToEnd(runner: ScenarioRunner, chunkMs = 1000): void {
  while (!runner.done()) {
    const remainingMs = runner.scenario.durationSeconds * 1000 - runner.elapsedMs()
    runner.step(Math.max(Math.min(chunkMs, remainingMs), 0))
    if (remainingMs <= 0) break
  }
}
