import { api, describeFailure, refreshAccess, showStatus } from './tessera-page.js'

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const when = (seconds) => dateFormat.format(new Date(seconds * 1000))

/** A short device description from the user agent: browser and system, not the whole string. */
function describeDevice(userAgent) {
  if (!userAgent) return 'Unknown device'
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'Browser or app'
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Windows/.test(userAgent)
        ? 'Windows'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : ''
  return system === '' ? browser : `${browser} on ${system}`
}

function element(tag, text, className) {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className !== undefined) node.className = className
  return node
}

async function signedIn() {
  if (await refreshAccess()) return true
  location.assign('/login?return_to=/account')
  return false
}

async function renderDevices() {
  const { status, data } = await api('/v1/sessions', { auth: true })
  const list = document.getElementById('devices')
  list.replaceChildren()
  if (status !== 200) {
    showStatus(describeFailure({ status, data }), { error: true })
    return
  }
  for (const session of data.sessions) {
    const item = element('li')
    item.dataset.sessionId = session.id
    const what = element('div', describeDevice(session.user_agent), 'what')
    if (session.current) what.append(element('span', 'This device', 'current'))
    item.append(what)
    const place = session.ip ? `from ${session.ip}` : 'from an unknown address'
    item.append(element('div', `Last used ${when(session.last_used_at)} ${place}`, 'meta'))
    item.append(element('div', `Signed in ${when(session.created_at)}`, 'meta'))
    if (!session.current) {
      const revoke = element('button', 'Sign out this device', 'secondary')
      revoke.type = 'button'
      revoke.setAttribute(
        'aria-label',
        `Sign out ${describeDevice(session.user_agent)}, last used ${when(session.last_used_at)}`,
      )
      revoke.addEventListener('click', async () => {
        const result = await api(`/v1/sessions/${encodeURIComponent(session.id)}`, {
          method: 'DELETE',
          auth: true,
        })
        if (result.status === 204) {
          showStatus('That device was signed out.')
          await renderDevices()
        } else showStatus(describeFailure(result), { error: true })
      })
      item.append(revoke)
    }
    list.append(item)
  }
}

async function renderIdentities() {
  const { status, data } = await api('/v1/identities', { auth: true })
  const list = document.getElementById('identities')
  list.replaceChildren()
  if (status !== 200 || data.identities.length === 0) {
    list.append(element('li', 'No linked providers.'))
    return
  }
  for (const identity of data.identities) {
    list.append(element('li', `${identity.provider}: ${identity.email ?? identity.subject}`))
  }
}

async function signOut(everywhere) {
  if (everywhere) await api('/v1/sessions', { method: 'DELETE', auth: true })
  await api('/v1/logout', { method: 'POST', body: {} })
  location.assign('/login')
}

async function start() {
  if (!(await signedIn())) return
  const me = await api('/v1/me', { auth: true })
  if (me.status !== 200) {
    location.assign('/login?return_to=/account')
    return
  }
  document.getElementById('who').textContent = me.data.user.email
  await renderDevices()
  await renderIdentities()
  document.getElementById('sign-out').addEventListener('click', () => signOut(false))
  document.getElementById('sign-out-everywhere').addEventListener('click', () => signOut(true))
  const form = document.getElementById('password-form')
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const result = await api('/v1/password', {
      method: 'POST',
      auth: true,
      body: { current_password: form.current.value, new_password: form.next.value },
    })
    form.current.value = ''
    form.next.value = ''
    if (result.status === 204) {
      showStatus('Your password was changed. Your other devices were signed out.')
      await renderDevices()
    } else showStatus(describeFailure(result), { error: true })
  })
  document.body.dataset.ready = 'true'
}

start()
