/**
 * Samsa's zero-configuration defaults: a combined single node, id 1, that
 * needs no server.properties. Kafka's own defaults assume a cluster of three
 * for internal topics; one node cannot meet that, so those become 1.
 */
export interface SamsaDefaultsInput {
  dataDir: string;
  host: string;
  port: number;
  /** Port of the controller listener, or null for none (embedded use). */
  controllerPort: number | null;
}

export function samsaDefaults(input: SamsaDefaultsInput): Record<string, string> {
  const listeners = [`PLAINTEXT://${input.host}:${input.port}`];
  if (input.controllerPort !== null) listeners.push(`CONTROLLER://${input.host}:${input.controllerPort}`);
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${input.host}:${input.controllerPort ?? 9093}`,
    listeners: listeners.join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'log.dirs': input.dataDir,
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
  };
}
