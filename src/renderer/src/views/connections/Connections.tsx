import { useState } from 'react'
import { useConsole } from '../../store/console-store'
import { SourceDetails } from './SourceDetails'
import { SourceList } from './SourceList'

/** The commissioning and fault-finding page: how each source is doing, down to the bytes. */
export function Connections(): React.JSX.Element {
  const sources = useConsole((state) => state.sources)
  const [chosen, setChosen] = useState<string | null>(null)
  const selected = sources.find((source) => source.id === chosen) ?? sources[0] ?? null
  return (
    <main className="connections">
      <SourceList selected={selected?.id ?? null} onSelect={setChosen} />
      {selected && <SourceDetails key={selected.id} source={selected} />}
    </main>
  )
}
