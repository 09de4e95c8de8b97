export * from './engine'
export * from './similarity'
export * from './vector-codec'
