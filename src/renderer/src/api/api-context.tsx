import { createContext, useContext } from 'react'
import type { PilotLightApi } from '../../../shared/api/client'

const ApiContext = createContext<PilotLightApi | null>(null)

export const ApiProvider = ApiContext.Provider

/** The typed backend client, for views that ask the backend for something on demand. */
export function useApi(): PilotLightApi {
  const api = useContext(ApiContext)
  if (!api) throw new Error('useApi outside <ApiProvider>')
  return api
}
