/**
 * The baseline of `make bench`: a bare fastify hello-world in its own process, so the
 * gateway's figures can be read against what fastify alone does on the same machine.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
const port = Number(process.env.PORT ?? 0);
// Warmed up like the gateway is, so neither side pays for the JIT in the measured window.
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
