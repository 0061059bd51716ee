import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { numberFromText } from '../column.transformers';

/** A rider, who authenticates with API keys (table `api_keys`: SHA-256 hashes, never the keys). */
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
