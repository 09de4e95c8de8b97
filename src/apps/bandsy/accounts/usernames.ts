// Usernames appear in profile URLs (/users/:username): lower-case letters, digits, '-' and '_',
// 3 to 50 characters, starting and ending with a letter or digit (the CHECK on bandsy.users).
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_-]{1,48}[a-z0-9]$/

/** A URL-safe username proposal from an email's local part or a display name. */
export function usernameBase(from: string): string {
  const ascii = from
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 40)
    .replace(/[-_]+$/g, '')
  return ascii.length >= 3 ? ascii : `musician${ascii ? '-' + ascii : ''}`
}
