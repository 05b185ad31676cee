import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { reconnectSettings } from '../../src/pod/aliases.js';

// What a pod reconnects to the cluster network with when its aliases change (src/pod/aliases.ts):
// no engine. The reconnect itself is shown live by test/pod/pod-network-live.test.ts and
// test/pod/services.test.ts, whose requests by address follow a service's creation.
const reconnect = suite('pod/aliases reconnect');

const endpoint = { IPAddress: '10.212.50.2', MacAddress: '1a:9e:59:31:48:b2' };

reconnect('on dockerd: the new aliases and the address as it was, no MAC (derived from the address there)', () => {
  assert.equal(reconnectSettings(['web', 'svc'], endpoint, 'docker'), { Aliases: ['web', 'svc'], IPAMConfig: { IPv4Address: '10.212.50.2' } });
});

reconnect('on Podman: the MAC as it was too, since netavark would draw a new one the other pods do not know', () => {
  assert.equal(reconnectSettings(['web'], endpoint, 'podman'), { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.212.50.2' }, MacAddress: '1a:9e:59:31:48:b2' });
});

reconnect('on Podman, an endpoint that reports no MAC: none is asked for', () => {
  assert.equal(reconnectSettings([], { IPAddress: '10.212.50.2', MacAddress: '' }, 'podman'), { Aliases: [], IPAMConfig: { IPv4Address: '10.212.50.2' } });
});

reconnect.run();
