/**
 * The generated secret file cannot be used. The message says what to do about it and never includes the
 * file's content.
 */

export type SecretFileProblem = 'not_regular_file' | 'too_open' | 'unreadable' | 'too_short' | 'too_large'

/** `<dataDir>/secret` exists but cannot be used safely; `problem` says why. */
export class SecretFileError extends Error {
  static readonly code = 'secret_file_unusable'
  readonly code = SecretFileError.code
  readonly problem: SecretFileProblem
  readonly path: string

  constructor(problem: SecretFileProblem, path: string, options?: { readonly cause?: unknown }) {
    super(SecretFileError.describe(problem, path), options)
    this.name = 'SecretFileError'
    this.problem = problem
    this.path = path
  }

  private static describe(problem: SecretFileProblem, path: string): string {
    switch (problem) {
      case 'not_regular_file':
        return `The server secret file ${path} is not a regular file; remove it or set TESSERA_SECRET.`
      case 'too_open':
        return `The server secret file ${path} can be read by other users; run: chmod 600 ${path}`
      case 'unreadable':
        return `The server secret file ${path} cannot be read; check its owner and permissions, or set TESSERA_SECRET.`
      case 'too_short':
        return `The server secret file ${path} holds fewer than 32 bytes; restore it from a backup or set TESSERA_SECRET.`
      case 'too_large':
        return `The server secret file ${path} is larger than a secret can be; restore it from a backup or set TESSERA_SECRET.`
    }
  }
}
