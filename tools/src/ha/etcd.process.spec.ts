import { etcdArgs } from './etcd.process';
import { resolveHaSettings } from './ha.settings';

describe('etcdArgs', () => {
  it('runs a single member on the client port and the next one', () => {
    const args = etcdArgs(resolveHaSettings({ etcdPort: 12379 }), '/tmp/ha/etcd');
    expect(args).toEqual(
      expect.arrayContaining([
        '--data-dir=/tmp/ha/etcd',
        '--listen-client-urls=http://127.0.0.1:12379',
        '--advertise-client-urls=http://127.0.0.1:12379',
        '--listen-peer-urls=http://127.0.0.1:12380',
        '--initial-cluster=etcd0=http://127.0.0.1:12380',
        '--initial-cluster-state=new',
      ]),
    );
  });
});
