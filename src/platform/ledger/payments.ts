import type { Config } from '../config'
import type { PaymentProvider } from './types'
export function createPaymentProvider(_config: Config): PaymentProvider {
  return undefined as unknown as PaymentProvider
}
