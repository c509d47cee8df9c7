import { parseArgs } from 'node:util'
import { describeError } from '../log/logger'
import { verifyJournalFile } from '../store/verify'

// `npm run verify -- FILE [--json]`: checks a journal database (DESIGN.md §3.4) and names the first
// broken link. Exit codes: 0 every event links and the outbox agrees, 1 the journal is broken or
// damaged, 2 the file cannot be verified (missing, not a journal, held by a running console) or the
// command line is wrong.

const usage = 'usage: npm run verify -- FILE [--json]'

function main(): number {
  let parsed
  try {
    parsed = parseArgs({
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n${usage}\n`)
    return 2
  }
  const [file, ...extra] = parsed.positionals
  if (!file || extra.length > 0) {
    process.stderr.write(`${usage}\n`)
    return 2
  }
  const result = verifyJournalFile(file)
  if (!result.ok) {
    const broken = result.error.code === 'journal-damaged'
    if (parsed.values.json)
      process.stdout.write(`${JSON.stringify({ file, intact: false, error: result.error })}\n`)
    else process.stderr.write(`${result.error.message}\n`)
    return broken ? 1 : 2
  }
  const { linked, head, problem } = result.value
  if (parsed.values.json) {
    process.stdout.write(
      `${JSON.stringify({ file, intact: problem === null, linked, head, problem })}\n`,
    )
  } else if (problem) {
    const before = problem.seq > 1 ? `Events 1 to ${problem.seq - 1} link correctly; from` : 'From'
    process.stdout.write(
      `${file}: BROKEN at seq ${problem.seq}: ${problem.message}\n` +
        `${before} seq ${problem.seq} on, the chain vouches for nothing.\n`,
    )
  } else if (head) {
    process.stdout.write(
      `${file}: intact: ${linked} events, seq 1 to ${head.seq}, every hash recomputes and links; ` +
        `outbox consistent. Head hash ${head.hash}\n`,
    )
  } else {
    process.stdout.write(`${file}: intact: the journal is empty\n`)
  }
  return problem ? 1 : 0
}

try {
  process.exit(main())
} catch (error) {
  process.stderr.write(`verify failed: ${describeError(error)}\n`)
  process.exit(2)
}
