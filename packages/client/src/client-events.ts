import type { SessionEndReason } from './client-error.ts'
import type { PublicUser } from './token-response.ts'

/** The `detail` of each client event. `isFromOtherTab`: another tab of this origin did it (cookie mode). */
export interface ClientEventDetails {
  /** A new access token is in memory; the session goes on. */
  readonly refreshed: {
    /** `exp` of the new token (epoch seconds), when readable. */
    readonly expiresAt: number | undefined
    readonly user: PublicUser | undefined
    readonly isFromOtherTab: boolean
  }
  readonly 'signed-in': {
    readonly user: PublicUser | undefined
    readonly sessionId: string | undefined
    readonly isFromOtherTab: boolean
  }
  /** `signOut()` here or in another tab. */
  readonly 'signed-out': { readonly isFromOtherTab: boolean }
  /** The session cannot be refreshed any more: the user must sign in again. */
  readonly 'session-ended': { readonly reason: SessionEndReason; readonly isFromOtherTab: boolean }
}

/** A client event name. */
export type ClientEventType = keyof ClientEventDetails

type PlatformListener = Parameters<EventTarget['addEventListener']>[1]

/** A listener for one client event. */
export type ClientEventListener<Type extends ClientEventType> = (
  event: CustomEvent<ClientEventDetails[Type]>,
) => void

/**
 * A typed face over a plain `EventTarget` (no DOM types needed, works in Node ≥ 20 and browsers). Only
 * the client itself emits; callers listen.
 *
 * @example
 * client.addEventListener('session-ended', (event) => showSignIn(event.detail.reason))
 */
export class ClientEvents {
  readonly #target = new EventTarget()

  addEventListener<Type extends ClientEventType>(
    type: Type,
    listener: ClientEventListener<Type>,
    options?: { readonly once?: boolean; readonly signal?: AbortSignal },
  ): void {
    this.#target.addEventListener(type, listener as unknown as PlatformListener, options)
  }

  removeEventListener<Type extends ClientEventType>(type: Type, listener: ClientEventListener<Type>): void {
    this.#target.removeEventListener(type, listener as unknown as PlatformListener)
  }

  protected emit<Type extends ClientEventType>(type: Type, detail: ClientEventDetails[Type]): void {
    this.#target.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
