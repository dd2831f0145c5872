/**
 * Shows a rejected setting value in an error message without leaking what must stay secret. Secrets are
 * replaced, URL passwords are masked, long text is cut, and nested values are only summarised (a list or
 * object may hold a client secret). A value whose setting is unknown is not shown at all: a misspelt key
 * such as `sercet` would otherwise print the secret it carries.
 */
import type { TSchema } from '@sinclair/typebox'

const maximumShownCharacters = 80
export const redactedValue = '[redacted]'

/**
 * Masks the password of a connection URL, also when the URL is malformed: everything between `://` and
 * the last `@` after the user name, and a `password=` query parameter (libpq accepts one).
 *
 * @example
 * maskUrlPassword('postgres://app:hunter2@db/tessera') // 'postgres://app:***@db/tessera'
 */
export function maskUrlPassword(value: string): string {
  const schemeEnd = value.indexOf('://')
  const authorityStart = schemeEnd === -1 ? 0 : schemeEnd + 3
  const userInfoEnd = value.lastIndexOf('@')
  let masked = value
  if (userInfoEnd >= authorityStart) {
    const userInfo = value.slice(authorityStart, userInfoEnd)
    const colon = userInfo.indexOf(':')
    const shownUserInfo = colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`
    masked = `${value.slice(0, authorityStart)}${shownUserInfo}${value.slice(userInfoEnd)}`
  }
  return masked.replace(/([?&]password=)[^&#]*/gi, '$1***')
}

function cut(text: string): string {
  return text.length > maximumShownCharacters ? `${text.slice(0, maximumShownCharacters)}…` : text
}

/**
 * Renders a value for an error message, or undefined when it must not be shown at all.
 *
 * @example
 * renderSettingValue(70000, portSchema) // '70000'
 * renderSettingValue('short', secretSchema) // '[redacted]'
 */
export function renderSettingValue(value: unknown, schema: TSchema | undefined): string | undefined {
  if (schema === undefined) return undefined
  if (value === undefined) return 'nothing'
  const mask: unknown = schema.mask
  if (mask === 'all') return redactedValue
  if (typeof value === 'string' && mask === 'url-password') {
    // Without `://` nothing tells a URL from a pasted password, so nothing is shown.
    return value.includes('://') ? JSON.stringify(cut(maskUrlPassword(value))) : redactedValue
  }
  if (typeof value === 'string') return JSON.stringify(cut(value))
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`
  return `a value of type ${typeof value === 'object' ? 'object' : typeof value}`
}
