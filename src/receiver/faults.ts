// Faults the reference receiver can be told to commit, for the console's sync tests and for central
// teams who want to watch a console cope. Only code can inject them (Receiver.injectFault); nothing
// on the wire can. Each fault is used up by the next request it applies to.

export type FaultStream = 'journal' | 'history'

export type ReceiverFault = {
  /** The endpoint it applies to; both when absent. */
  stream?: FaultStream
} & (
  | {
      /** Answers with this status and stores nothing (500, 503 with Retry-After, 429, 400…). */
      kind: 'status'
      status: number
      retryAfter?: string
      message?: string
    }
  /** Never answers and stores nothing: the console times out before the commit. */
  | { kind: 'hang-before-commit' }
  /** Stores the batch, then never answers: the console times out after the commit. */
  | { kind: 'hang-after-commit' }
  /** Stores the batch, sends the headers and half the answer, then resets the connection. */
  | { kind: 'reset-mid-response' }
  /** Takes only the first `take` events or samples and answers for those alone. */
  | { kind: 'partial'; take: number }
  /**
   * Journal only: stores the batch normally, then answers every taken id twice, in both accepted
   * and duplicate, plus an id that was not in the batch.
   */
  | { kind: 'duplicate-acknowledgements' }
  /** Journal only: rejects the events with these seqs with `reason`, storing nothing of them. */
  | { kind: 'reject'; seqs: readonly number[]; reason: string }
)

/** A first-in, first-out list of faults waiting for their request. */
export function createFaultQueue() {
  const waiting: ReceiverFault[] = []
  return {
    push: (fault: ReceiverFault): void => {
      waiting.push(fault)
    },
    /** Removes and returns the first fault that applies to `stream`, if any. */
    take: (stream: FaultStream): ReceiverFault | null => {
      const index = waiting.findIndex((fault) => (fault.stream ?? stream) === stream)
      return index === -1 ? null : (waiting.splice(index, 1)[0] as ReceiverFault)
    },
    size: (): number => waiting.length,
  }
}
