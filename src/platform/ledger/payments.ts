// Payment providers behind one interface. `local` (the default) takes test payments with no
// network; `stripe` (when STRIPE_SECRET_KEY is set) uses PaymentIntents. Both speak Stripe's
// webhook format and signature scheme (HMAC-SHA256, `Stripe-Signature: t=...,v1=...`), verified by
// the Stripe SDK, so one webhook route serves either.
import type { Config } from '../config'
import type { PaymentProvider } from './types'
import { localPaymentProvider } from './payments-local'
import { stripePaymentProvider } from './payments-stripe'

/** The local provider's webhook secret when STRIPE_WEBHOOK_SECRET is not set. Not a secret: local payments are not money. */
export const LOCAL_WEBHOOK_SECRET = 'whsec_matchbase_local_test_provider'

export function paymentProviderName(config: Config): 'local' | 'stripe' {
  return config.PAYMENTS_PROVIDER ?? (config.STRIPE_SECRET_KEY ? 'stripe' : 'local')
}

export function createPaymentProvider(config: Config): PaymentProvider {
  if (paymentProviderName(config) === 'stripe') {
    if (!config.STRIPE_SECRET_KEY) throw new Error('PAYMENTS_PROVIDER=stripe needs STRIPE_SECRET_KEY')
    return stripePaymentProvider(config)
  }
  return localPaymentProvider({
    webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET,
    // Implicitly local in production would hand out credits for free: refuse to charge instead.
    refuseCharges: config.isProduction && config.PAYMENTS_PROVIDER !== 'local',
  })
}

export { SIGNATURE_HEADER, parseSignedWebhook, signedPaymentWebhook, type WebhookFixture } from './payment-webhooks'
export { LOCAL_CARDS, type LocalPaymentProvider } from './payments-local'
