/**
 * A `--user` argument of a command: a user id (`usr_…`) or the email of an account. Parsed before the
 * command opens the store (a typo costs no start-up), then looked up.
 */
import { normalizeEmail } from '../domain/email.ts'
import { isId } from '../domain/ids.ts'
import type { Store, UserRecord } from '../store/ports.ts'
import { UsageError } from './cli-io.ts'

/** What a `--user` argument names, before any lookup. */
export type UserArgument = { readonly id: string } | { readonly email: string }

/**
 * Parses `--user`: an id as given, an email normalised like at sign-in; anything else is a usage error
 * (exit 2).
 *
 * @example
 * parseUserArgument('Ada@Example.test') // { email: 'ada@example.test' }
 */
export function parseUserArgument(text: string, flag = '--user'): UserArgument {
  if (isId('usr', text)) return { id: text }
  const email = normalizeEmail(text)
  if (!email.ok) throw new UsageError(`${flag} must be a user id (usr_…) or an email address`)
  return { email: email.email }
}

/**
 * The account the argument names, or undefined when there is none.
 *
 * @example
 * const user = await findUserByArgument(services.store, parseUserArgument(values.user))
 */
export async function findUserByArgument(
  store: Store,
  argument: UserArgument,
): Promise<UserRecord | undefined> {
  return 'id' in argument ? store.users.findById(argument.id) : store.users.findByEmail(argument.email)
}
