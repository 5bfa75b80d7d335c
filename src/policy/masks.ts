import { z } from 'zod';

/** A named mask: keep the first and last characters, star the rest (JR/T 0171-2020 附录A 屏蔽). */
export const maskSchema = z.strictObject({
  keepStart: z.number().int().min(0).max(32),
  keepEnd: z.number().int().min(0).max(32),
});
export type Mask = z.infer<typeof maskSchema>;

/** Applies a mask to a value; values too short to keep anything are starred entirely. */
export function applyMask(value: unknown, { keepStart, keepEnd }: Mask): unknown {
  if (value === null || value === undefined) return value;
  const chars = [...String(value)];
  if (chars.length <= keepStart + keepEnd) return '*'.repeat(chars.length);
  return chars.slice(0, keepStart).join('') + '*'.repeat(chars.length - keepStart - keepEnd) + chars.slice(chars.length - keepEnd).join('');
}
