import { EXCHANGES } from '@stargate/contracts';
import type { Channel } from 'amqplib';
import type { Logger } from 'pino';

/**
 * Each worker hears every cancel on its own exclusive queue, to abort the handler it runs for
 * that process (the durable command queue handles the processes no handler is running).
 */
export async function consumeCancelFanout(
  ch: Channel,
  cancelRunning: (processId: string) => boolean,
  logger: Logger,
): Promise<void> {
  const own = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(own.queue, EXCHANGES.control, 'cancel.*');
  await ch.consume(
    own.queue,
    (msg) => {
      if (!msg) return;
      const processId = msg.fields.routingKey.slice('cancel.'.length);
      if (cancelRunning(processId)) logger.info({ processId }, 'cancel: aborting the running handler');
    },
    { noAck: true },
  );
}
