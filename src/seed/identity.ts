// Check digits and formats of Chinese identifiers: GB 11643 resident identity numbers, bank card
// numbers (Luhn) and mainland mobile numbers.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS = '10X98765432';

/**
 * The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits of a resident
 * identity number: '0'–'9' or 'X'.
 */
export function gb11643CheckChar(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) throw new RangeError('a resident ID number starts with 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * ID_WEIGHTS[i]!;
  return ID_CHECK_CHARS[sum % 11]!;
}

/**
 * Whether `id` is a well-formed 18-character resident identity number: a region code, a real
 * calendar birth date (from 1800, not in the future) in digits 7–14, a sequence and a matching
 * check character (upper-case X).
 */
export function isValidIdNumber(id: string): boolean {
  if (!/^[1-9][0-9]{16}[0-9X]$/.test(id)) return false;
  if (!isPlausibleBirthDate(id.slice(6, 14))) return false;
  return gb11643CheckChar(id.slice(0, 17)) === id[17];
}

/** The birth date ('YYYY-MM-DD') a valid resident identity number carries in digits 7–14. */
export function birthDateOf(id: string): string {
  if (!isValidIdNumber(id)) throw new RangeError('not a valid resident ID number');
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** The Luhn (mod 10) check digit to append to `partial`, a string of digits. */
export function luhnCheckDigit(partial: string): string {
  if (!/^[0-9]+$/.test(partial)) throw new RangeError('a Luhn payload is digits only');
  let sum = 0;
  // the digit next to the check digit is doubled, then every second one leftwards
  for (let i = partial.length - 1, double = true; i >= 0; i--, double = !double) {
    let digit = partial.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/** Whether `number` is all digits (at least two) and its last digit is the Luhn check digit. */
export function isValidLuhn(number: string): boolean {
  if (!/^[0-9]{2,}$/.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === number.slice(-1);
}

/** Whether `phone` is a mainland China mobile number: 11 digits, '1' then 3–9. */
export function isValidMobile(phone: string): boolean {
  return /^1[3-9][0-9]{9}$/.test(phone);
}

function isPlausibleBirthDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  return date.getTime() <= Date.now();
}
