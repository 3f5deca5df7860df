import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-3PMBMSLU.js";import"./chunk-XTUIZPUZ.js";export{a as KeyError,c as decryptCosignKey,d as loadSigningKey,b as parsePem};
