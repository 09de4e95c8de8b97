// Mail through SMTP when SMTP_URL is set; otherwise into the dev mailbox table, which the CLI
// (`matchbase mailbox <email>`) and GET /v1/dev/mailbox read.
import nodemailer from 'nodemailer'
import type { Db } from '../db/database'
import type { Mail, Mailer } from './types'

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url)
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html })
    },
  }
}

export function devMailbox(db: Db): Mailer {
  return {
    kind: 'dev',
    async send(mail) {
      await db
        .insertInto('platform.devMailbox')
        .values({ toAddress: mail.to, subject: mail.subject, textBody: mail.text, htmlBody: mail.html ?? null })
        .execute()
    },
  }
}

export interface MailboxEntry {
  id: number
  sentAt: Date
  toAddress: string
  subject: string
  textBody: string
}

export async function readMailbox(db: Db, to: string, limit = 20): Promise<MailboxEntry[]> {
  return db
    .selectFrom('platform.devMailbox')
    .select(['id', 'sentAt', 'toAddress', 'subject', 'textBody'])
    .where((eb) => eb(eb.fn('lower', ['toAddress']), '=', to.toLowerCase()))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}
