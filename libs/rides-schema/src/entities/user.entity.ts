import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { numberFromText } from '../column.transformers';

/** A rider, who authenticates with an API key. */
@Entity('users')
export class User {
  @PrimaryColumn({
    type: 'bigint',
    generated: 'identity',
    generatedIdentity: 'ALWAYS',
    transformer: numberFromText,
  })
  id!: number;

  @Column('text')
  email!: string;

  /** SHA-256 of the API key, hex. The key itself is never stored. */
  @Column({ name: 'api_key_hash', type: 'text', select: false })
  apiKeyHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
