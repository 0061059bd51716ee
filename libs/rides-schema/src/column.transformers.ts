import type { ValueTransformer } from 'typeorm';

/** `bigint` and `numeric` arrive from pg as strings; ids stay far below 2^53 and distances have one decimal. */
export const numberFromText: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
