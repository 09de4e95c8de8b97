// A payment provider for tests: the local one, counting charges; `failNext` makes the next charge an outage.
import { createPaymentProvider } from '../../src/platform/ledger/payments'
import { testConfig } from '../../src/platform/config'
import { AppError } from '../../src/platform/http/errors'
import type { CheckoutRequest, PaymentProvider } from '../../src/platform/ledger/types'

export function countingProvider() {
  const local = createPaymentProvider(testConfig())
  const p = {
    charges: [] as CheckoutRequest[],
    failNext: 0,
    name: local.name,
    async charge(req: CheckoutRequest) {
      if (p.failNext > 0) {
        p.failNext--
        throw new AppError('upstream_failed', 'The payment provider did not answer')
      }
      p.charges.push(req)
      return local.charge(req)
    },
    refund: (paymentId: string, amountCents?: number) => local.refund(paymentId, amountCents),
    parseWebhook: (raw: Buffer | string, sig: string | undefined) => local.parseWebhook(raw, sig),
  }
  return p satisfies PaymentProvider
}
