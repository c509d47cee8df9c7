// Must stay the first import: zod is configured before the contract's schemas are built.
import '../../shared/zod-jitless'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { ApiProvider } from './api/api-context'
import { connectToBackend } from './api/connect'
import { bindConsole } from './store/console-store'
import { App } from './views/App'
import './styles.css'

const api = connectToBackend()
bindConsole(api)

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')
createRoot(root).render(
  <StrictMode>
    <ApiProvider value={api}>
      <App />
    </ApiProvider>
  </StrictMode>,
)
