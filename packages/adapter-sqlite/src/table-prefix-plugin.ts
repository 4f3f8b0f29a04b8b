import type { QueryId } from "kysely";
import {
  IdentifierNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
} from "kysely";
import { LOGICAL_TABLES } from "./schema.js";

class TablePrefixTransformer extends OperationNodeTransformer {
  readonly #names: ReadonlyMap<string, string>;

  constructor(prefix: string) {
    super();
    this.#names = new Map(LOGICAL_TABLES.map((name) => [name, `${prefix}${name}`]));
  }

  protected override transformTable(node: TableNode, queryId?: QueryId): TableNode {
    const transformed = super.transformTable(node, queryId);
    const { schema, identifier } = transformed.table;
    const renamed = schema ? undefined : this.#names.get(identifier.name);
    if (renamed === undefined) return transformed;
    return {
      ...transformed,
      table: { ...transformed.table, identifier: IdentifierNode.create(renamed) },
    };
  }
}

/**
 * Queries name the logical tables (`sessions`, `policies`, …) so they stay typed; this plugin
 * renames them to the prefixed physical tables when a query is compiled.
 */
export class TablePrefixPlugin implements KyselyPlugin {
  readonly #transformer: TablePrefixTransformer;

  constructor(prefix: string) {
    this.#transformer = new TablePrefixTransformer(prefix);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
