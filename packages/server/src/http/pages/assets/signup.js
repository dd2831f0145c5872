import { api, describeFailure, showStatus } from './tessera-page.js'

const form = document.getElementById('signup-form')
form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const button = form.querySelector('button[type=submit]')
  button.disabled = true
  showStatus('Creating your account…')
  const body = { email: form.email.value, password: form.password.value }
  if (form.name.value.trim() !== '') body.name = form.name.value.trim()
  const result = await api('/v1/signup', { method: 'POST', body })
  button.disabled = false
  if (result.status === 201) {
    location.assign('/account')
    return
  }
  showStatus(describeFailure(result), { error: true })
})
