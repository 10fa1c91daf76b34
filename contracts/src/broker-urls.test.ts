import { describe, expect, it } from 'vitest';
import { brokerUrls } from './broker-urls.js';
import { processQueueArguments, quorumInitialGroupSize, serverQueues } from './topology.js';

describe('broker addresses', () => {
  it('takes one URL as before, or the nodes of a cluster separated by commas', () => {
    expect(brokerUrls('amqp://guest:guest@127.0.0.1:5672')).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
    expect(brokerUrls(' amqp://a:5672/v , amqps://b:5671/v ,')).toEqual([
      'amqp://a:5672/v',
      'amqps://b:5671/v',
    ]);
  });

  it('refuses what is not an AMQP URL, without repeating a password', () => {
    expect(() => brokerUrls('')).toThrow(/STARGATE_AMQP_URL is required/);
    expect(() => brokerUrls('amqp://a:1,not a url:secret@')).toThrow(/entry 2 of 2 is not a URL/);
    expect(() => brokerUrls('amqp://a:1,not a url:secret@')).not.toThrow(/secret/);
    expect(() => brokerUrls('http://a:1')).toThrow(/not an amqp/);
  });
});

describe('quorum queue arguments', () => {
  it('replicate to three nodes when several brokers are given, and leave one node as it was', () => {
    expect(quorumInitialGroupSize(3)).toBe(3);
    expect(quorumInitialGroupSize(1)).toBeUndefined();
    expect(quorumInitialGroupSize(1, 1)).toBe(1);
    expect(quorumInitialGroupSize(5, 5)).toBe(5);
    expect(processQueueArguments({}, { quorumInitialGroupSize: 3 })).toMatchObject({
      'x-quorum-initial-group-size': 3,
    });
    expect(processQueueArguments({})).not.toHaveProperty('x-quorum-initial-group-size');
  });

  it('set a delivery limit on every queue the server declares', () => {
    for (const q of serverQueues({ quorumInitialGroupSize: 3 })) {
      expect(q.arguments['x-queue-type']).toBe('quorum');
      expect(typeof q.arguments['x-delivery-limit']).toBe('number');
      expect(q.arguments['x-quorum-initial-group-size']).toBe(3);
    }
  });
});
