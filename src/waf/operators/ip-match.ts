import { ipListOperator } from './ip-list.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input is an IP address inside one of the comma-separated
 * addresses or CIDR blocks (IPv4 and IPv6). An input that is not an IP address never matches.
 * Syntax: `@ipMatch <ip|cidr>[,<ip|cidr>...]`
 * Example: `SecRule REMOTE_ADDR "@ipMatch 127.0.0.1,10.0.0.0/8,::1" "id:1"`
 */
export const ipMatch: OperatorFactory = (argument) => ipListOperator(argument.split(','), '@ipMatch');
