export * from './engine'
export * from './similarity'
export * from './vector-codec'
export * from './geo'
