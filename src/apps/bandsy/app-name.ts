// The app's name: its manifest's name, its Postgres schema, its tokens' audience and its key in
// platform tables. A module of its own rather than an export of index.ts, because services read it
// while they are being loaded, which index.ts (importing the routes, which import the services)
// would still be doing.
export const APP = 'bandsy'
