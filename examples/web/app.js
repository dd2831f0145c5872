// The example page's script: @tessera/client in cookie mode against the auth server, and the example API.
import { createClient } from './tessera-client.js'

const config = await (await fetch('/config.json')).json()
const client = createClient({ issuer: config.issuer, mode: 'cookie' })
const state = document.getElementById('state')
const result = document.getElementById('result')

function show(signedIn, message, { error = false } = {}) {
  document.getElementById('signed-in').hidden = !signedIn
  document.getElementById('signed-out').hidden = signedIn
  state.textContent = message
  state.className = error ? 'error' : ''
  document.body.dataset.state = signedIn ? 'signed-in' : 'signed-out'
}

client.addEventListener('signed-in', () => show(true, 'Signed in.'))
client.addEventListener('refreshed', () => {
  document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1)
})
client.addEventListener('session-ended', (event) => {
  document.body.dataset.ended = event.detail.reason
  show(false, `Your session ended (${event.detail.reason}). Please sign in again.`, { error: true })
})

async function loadOrders() {
  const response = await client.fetch(`${config.api}/orders`, { credentials: 'include' })
  const body = await response.json().catch(() => ({}))
  result.textContent = JSON.stringify(body, null, 2)
  document.body.dataset.lastStatus = String(response.status)
  document.body.dataset.lastReason = body.reason ?? ''
  // The API says this session is over (revoked elsewhere): confirm with the auth server, which ends it here.
  if (response.status === 401 && (body.reason === 'session_revoked' || body.reason === 'revoked')) {
    await client.refresh().catch(() => undefined)
  }
}

document.getElementById('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = event.currentTarget
  try {
    await client.signIn({ email: form.email.value, password: form.password.value })
    form.password.value = ''
  } catch (error) {
    show(false, `Sign-in failed (${error.reason ?? 'error'}).`, { error: true })
  }
})
document.getElementById('load').addEventListener('click', () => void loadOrders())
document.getElementById('sign-out').addEventListener('click', async () => {
  await client.signOut()
  show(false, 'Signed out.')
})

// Resume a session from the refresh cookie, if there is one.
try {
  await client.refresh()
  show(true, 'Signed in.')
} catch {
  show(false, 'Not signed in.')
}
window.tesseraExample = { loadOrders, client }
