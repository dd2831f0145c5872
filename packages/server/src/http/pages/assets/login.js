import { api, describeFailure, returnPath, showStatus } from './tessera-page.js'

const form = document.getElementById('login-form')
form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const button = form.querySelector('button[type=submit]')
  button.disabled = true
  showStatus('Signing in…')
  const result = await api('/v1/login', {
    method: 'POST',
    body: { email: form.email.value, password: form.password.value },
  })
  button.disabled = false
  if (result.status === 200) {
    form.password.value = ''
    location.assign(returnPath('/account'))
    return
  }
  showStatus(describeFailure(result), { error: true })
  form.password.focus()
})
