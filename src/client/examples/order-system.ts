/**
 * The order system from the README: an orders producer and three consumer
 * groups (payment, inventory, email) reading the same topic independently.
 * The email service sends what it cannot handle to orders.dlq.
 *
 *   node dist/src/client/examples/order-system.js            # embedded broker
 *   node dist/src/client/examples/order-system.js host:9092  # a running cluster
 */
import { Broker } from '../../index.js';
import { Admin, Consumer, Producer, type ConsumerMessage } from '../index.js';

interface Order {
  id: number;
  customer: string;
  items: Array<{ sku: string; qty: number }>;
  total: number;
  email: string;
}

const ORDER_COUNT = 10;

export async function runOrderSystem(bootstrapServers: string, log: (line: string) => void = console.log): Promise<Map<string, number>> {
  const admin = new Admin({ bootstrapServers, clientId: 'order-admin' });
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { name: 'orders', numPartitions: 6 },
    { name: 'orders.dlq', numPartitions: 1 },
  ].filter((t) => !existing.has(t.name));
  if (wanted.length > 0) await admin.createTopics(wanted);

  const handled = new Map<string, number>();
  let resolveAll: () => void = () => {};
  const allHandled = new Promise<void>((resolve) => (resolveAll = resolve));
  const count = (group: string): void => {
    handled.set(group, (handled.get(group) ?? 0) + 1);
    if (['payment', 'inventory', 'email'].every((g) => (handled.get(g) ?? 0) >= ORDER_COUNT)) resolveAll();
  };

  const services: Consumer[] = [];
  const runs: Array<Promise<void>> = [];
  async function service(groupId: string, handle: (order: Order) => Promise<void>, extra: { deadLetter?: { retries: number; backoffMs: number } } = {}) {
    const consumer = new Consumer({ bootstrapServers, groupId, clientId: groupId, autoOffsetReset: 'earliest', heartbeatIntervalMs: 500, ...extra });
    services.push(consumer);
    await consumer.subscribe(['orders']);
    runs.push(consumer.run({ eachMessage: (m: ConsumerMessage) => handle(JSON.parse(m.value!.toString()) as Order) }));
  }

  // The three services join their groups at the same time (a new group waits
  // group.initial.rebalance.delay.ms for more members before its first assignment).
  let failures = 0;
  await Promise.all([
    service('payment', async (o) => {
      log(`payment:   charged ${o.customer} ${o.total.toFixed(2)} for order ${o.id}`);
      count('payment');
    }),
    service('inventory', async (o) => {
      log(`inventory: reserved ${o.items.map((i) => `${i.qty}x${i.sku}`).join(', ')} for order ${o.id}`);
      count('inventory');
    }),
    service(
      'email',
      async (o) => {
        if (!o.email.includes('@')) {
          failures++;
          if (failures === 3) count('email'); // the third failure sends it to orders.dlq
          throw new Error(`cannot mail order ${o.id}: bad address "${o.email}"`);
        }
        log(`email:     confirmation for order ${o.id} to ${o.email}`);
        count('email');
      },
      { deadLetter: { retries: 2, backoffMs: 50 } },
    ),
  ]);

  const producer = new Producer({ bootstrapServers, clientId: 'orders', lingerMs: 5 });
  for (let id = 1; id <= ORDER_COUNT; id++) {
    const customer = `customer-${id % 3}`;
    const order: Order = {
      id,
      customer,
      items: [{ sku: `sku-${100 + id}`, qty: 1 + (id % 2) }],
      total: 9.5 * id,
      email: id === 7 ? 'nobody' : `${customer}@example.com`,
    };
    // Keyed by customer: one customer's orders stay in order on one partition.
    await producer.send({ topic: 'orders', key: customer, value: JSON.stringify(order), headers: { 'content-type': 'application/json' } });
  }
  await producer.close();

  await allHandled;
  await Promise.all(services.map((c) => c.close()));
  await Promise.all(runs);
  await admin.close();
  return handled;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const given = process.argv[2];
  const broker = given === undefined ? await Broker.start() : null;
  try {
    await runOrderSystem(given ?? broker!.bootstrap);
  } finally {
    await broker?.stop();
  }
}
