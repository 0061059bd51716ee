import { BadRequestException } from '@nestjs/common';
import type { ConsistencyTokens, ReplicaStatusView } from '@app/replica-routing';
import { ReplicasController } from './replicas.controller';

describe('ReplicasController', () => {
  const list = jest.fn(() => []);
  const controller = new ReplicasController(
    { list } as unknown as ReplicaStatusView,
    { toLsn: () => 0x3000148n } as unknown as ConsistencyTokens,
  );

  it('refuses several tokens (`?token=a&token=b`) rather than reading them as none', () => {
    expect(() => controller.list(['0/1', '0/2'])).toThrow(BadRequestException);
    expect(list).not.toHaveBeenCalled();
    controller.list('0/3000148');
    expect(list).toHaveBeenCalledWith(0x3000148n);
  });
});
