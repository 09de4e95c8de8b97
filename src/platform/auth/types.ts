export interface Mail {
  to: string
  subject: string
  text: string
  html?: string
}

export interface Mailer {
  readonly kind: 'smtp' | 'dev'
  send(mail: Mail): Promise<void>
}
