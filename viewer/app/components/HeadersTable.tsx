import type { Header } from '../../../model/exchange.ts';

/** Headers as they were on the wire: order and case kept; masked values arrive masked. */
export function HeadersTable({ headers }: { headers: Header[] }) {
  if (headers.length === 0) return <p className="muted">No headers.</p>;
  return (
    <table className="headers">
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={i}>
            <th>{name}</th>
            <td className="mono">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
