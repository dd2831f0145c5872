import type { FastifyError } from 'fastify'
import { type Problem, problemFor } from './problem.ts'

interface ValidationIssue {
  readonly keyword?: string
  readonly instancePath?: string
  readonly params?: Record<string, unknown>
  readonly message?: string
}

function fieldOf(issue: ValidationIssue): string {
  const params = issue.params ?? {}
  if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
    return joinPath(issue.instancePath, params.missingProperty)
  }
  if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return joinPath(issue.instancePath, params.additionalProperty)
  }
  return joinPath(issue.instancePath, '')
}

function joinPath(instancePath: string | undefined, leaf: string): string {
  const parts = (instancePath ?? '').split('/').filter((p) => p !== '')
  if (leaf !== '') parts.push(leaf)
  return parts.length === 0 ? 'body' : parts.join('.')
}

function describe(issue: ValidationIssue, field: string): string {
  switch (issue.keyword) {
    case 'required':
      return `${field} is required`
    case 'additionalProperties':
      return `unknown field ${field}`
    case 'type':
      return `${field} must be of type ${String(issue.params?.type ?? 'unknown')}`
    case 'maxLength':
    case 'minLength':
    case 'maxItems':
    case 'minItems':
    case 'maximum':
    case 'minimum':
      return `${field} must be ${issue.keyword.startsWith('max') ? 'at most' : 'at least'} ${String(issue.params?.limit)}`
    case 'enum':
      return `${field} must be one of ${JSON.stringify(issue.params?.allowedValues ?? [])}`
    default:
      return `${field} is invalid`
  }
}

/**
 * Turns Fastify's schema-validation error into a 400 `invalid_request` that names the field. Only ajv's
 * structured data is used: its free text could echo input, and input can be a secret.
 *
 * @example
 * if (error.validation) return sendProblem(reply, problemFromValidation(error))
 */
export function problemFromValidation(error: FastifyError): Problem {
  const issue = (error.validation?.[0] ?? {}) as ValidationIssue
  const field = fieldOf(issue)
  const context = error.validationContext === 'querystring' ? 'query ' : ''
  return problemFor('invalid_request', { field, message: `${context}${describe(issue, field)}` })
}
