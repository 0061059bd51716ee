import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { numberFromText } from '../column.transformers';

@Entity('rides')
export class Ride {
  @PrimaryColumn({
    type: 'bigint',
    generated: 'identity',
    generatedIdentity: 'ALWAYS',
    transformer: numberFromText,
  })
  id!: number;

  @Column({ name: 'user_id', type: 'bigint', transformer: numberFromText })
  userId!: number;

  /** Kilometres, one decimal. */
  @Column({ type: 'numeric', precision: 9, scale: 1, transformer: numberFromText })
  distance!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
