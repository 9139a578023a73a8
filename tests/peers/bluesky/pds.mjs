// Runs the reference Bluesky PDS and an in-memory PLC directory on 127.0.0.1 for
// koho-connect's tests. Configuration comes from the environment (PDS_* as the PDS
// reads it, KOHO_PLC_PORT for the directory); one JSON line on stdout says "ready".
// The peer stops when its stdin closes, so a crashed test leaves nothing running.
import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds'
import plcPkg from '@did-plc/server'

const { PlcServer, Database } = plcPkg
const plcPort = Number(process.env.KOHO_PLC_PORT)
const plc = PlcServer.create({ db: Database.mock(), port: plcPort })
await plc.start()

const env = readEnv()
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.start()

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await pds.destroy().catch(() => {})
  await plc.destroy().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
console.log(JSON.stringify({ ready: true, pds: env.port, plc: plcPort }))
