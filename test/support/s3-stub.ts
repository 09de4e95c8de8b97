// A tiny S3-compatible server on 127.0.0.1 for tests of the real SDK path with no network (point
// STORAGE_S3_ENDPOINT at it, path-style). It keeps objects in memory and speaks the part of the S3
// REST API the adapter uses: PutObject, GetObject, HeadObject, DeleteObject and multipart uploads
// (which lib-storage uses for large streams). It checks that every request is signed with
// AWS4-HMAC-SHA256 by the expected access key (header or presigned query), not the signature itself.
import { createHash, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface S3StubObject {
  body: Buffer
  contentType: string
}

export interface S3StubRequest {
  method: string
  path: string
  operation: string
}

export interface S3Stub {
  url: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  objects: Map<string, S3StubObject>
  requests: S3StubRequest[]
  close(): Promise<void>
}

export async function startS3Stub(o: { bucket?: string; accessKeyId?: string } = {}): Promise<S3Stub> {
  const bucket = o.bucket ?? 'matchbase-test'
  const accessKeyId = o.accessKeyId ?? 'AKIASTUBEXAMPLE'
  const objects = new Map<string, S3StubObject>()
  const uploads = new Map<string, { key: string; contentType: string; parts: Map<number, Buffer> }>()
  const requests: S3StubRequest[] = []

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub')
      const [, reqBucket = '', ...rest] = url.pathname.split('/')
      const key = decodeURIComponent(rest.join('/'))
      const q = url.searchParams
      const method = req.method ?? 'GET'
      const operation = operationOf(method, q)
      requests.push({ method, path: url.pathname, operation })
      const send = (status: number, headers: Record<string, string | number> = {}, body?: Buffer | string) => {
        res.writeHead(status, { 'x-amz-request-id': `stub-${requests.length}`, ...headers })
        res.end(method === 'HEAD' ? undefined : body)
      }
      const error = (status: number, code: string, message: string) =>
        send(
          status,
          { 'content-type': 'application/xml' },
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        )

      if (!signedBy(req, q, accessKeyId)) return error(403, 'AccessDenied', 'Missing or foreign AWS4-HMAC-SHA256 signature')
      if (reqBucket !== bucket) return error(404, 'NoSuchBucket', 'The specified bucket does not exist')
      if (!key) return error(400, 'InvalidRequest', 'The stub serves objects only (path-style /bucket/key)')
      const body = Buffer.concat(chunks)
      const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream')

      switch (operation) {
        case 'PutObject':
          objects.set(key, { body, contentType })
          return send(200, { etag: etag(body) })
        case 'GetObject':
        case 'HeadObject': {
          const obj = objects.get(key)
          if (!obj) return method === 'HEAD' ? send(404) : error(404, 'NoSuchKey', 'The specified key does not exist.')
          return send(200, { 'content-type': obj.contentType, 'content-length': obj.body.length, etag: etag(obj.body) }, obj.body)
        }
        case 'DeleteObject':
          objects.delete(key)
          return send(204)
        case 'CreateMultipartUpload': {
          const uploadId = randomUUID()
          uploads.set(uploadId, { key, contentType, parts: new Map() })
          return xml(
            send,
            `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
          )
        }
        case 'UploadPart': {
          const upload = uploads.get(q.get('uploadId') ?? '')
          if (!upload) return error(404, 'NoSuchUpload', 'The specified upload does not exist.')
          upload.parts.set(Number(q.get('partNumber')), body)
          return send(200, { etag: etag(body) })
        }
        case 'CompleteMultipartUpload': {
          const uploadId = q.get('uploadId') ?? ''
          const upload = uploads.get(uploadId)
          if (!upload) return error(404, 'NoSuchUpload', 'The specified upload does not exist.')
          const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]))
          if (numbers.some((n) => !upload.parts.has(n)))
            return error(400, 'InvalidPart', 'One or more of the specified parts could not be found.')
          const whole = Buffer.concat(numbers.map((n) => upload.parts.get(n)!))
          objects.set(upload.key, { body: whole, contentType: upload.contentType })
          uploads.delete(uploadId)
          return xml(
            send,
            `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag(whole)}</ETag></CompleteMultipartUploadResult>`,
          )
        }
        case 'AbortMultipartUpload':
          uploads.delete(q.get('uploadId') ?? '')
          return send(204)
        default:
          return error(405, 'MethodNotAllowed', `The stub does not implement ${method} ${url.search}`)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey: 'stub-secret-access-key',
    objects,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function operationOf(method: string, q: URLSearchParams): string {
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'PUT' && q.has('uploadId')) return 'UploadPart'
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload'
  return ({ PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' } as Record<string, string>)[method] ?? 'Unknown'
}

/** SigV4 by header (SDK calls) or by query string (presigned URLs), with our access key in the scope. */
function signedBy(req: http.IncomingMessage, q: URLSearchParams, accessKeyId: string): boolean {
  const auth = req.headers.authorization ?? ''
  if (auth.startsWith('AWS4-HMAC-SHA256 ')) return auth.includes(`Credential=${accessKeyId}/`) && auth.includes('Signature=')
  return (
    q.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256' &&
    (q.get('X-Amz-Credential') ?? '').startsWith(`${accessKeyId}/`) &&
    q.has('X-Amz-Signature')
  )
}

const etag = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`

function xml(send: (status: number, headers: Record<string, string>, body: string) => void, inner: string) {
  send(200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>${inner}`)
}
