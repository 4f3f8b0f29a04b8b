// ua-parser-js 1.x ships no types (2.x does, but is AGPL); this declares the part used here.
declare module "ua-parser-js" {
  namespace UAParser {
    interface IResult {
      ua: string;
      browser: { name?: string; version?: string; major?: string };
      os: { name?: string; version?: string };
      device: { vendor?: string; model?: string; type?: string };
    }
  }
  class UAParser {
    constructor(userAgent?: string);
    getResult(): UAParser.IResult;
  }
  export = UAParser;
}
