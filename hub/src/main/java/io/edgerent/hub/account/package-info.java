/**
 * People on the web pages: accounts, password hashes, sign-in codes and sessions, and the growing delay that
 * throttles failed sign-ins per address (shared by the pages and the SSH gateway).
 */
package io.edgerent.hub.account;
