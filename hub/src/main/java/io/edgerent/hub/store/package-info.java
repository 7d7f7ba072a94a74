/**
 * The database: embedded H2 or a PostgreSQL several hubs share, its migrations, transactions with retries, group
 * commit, and the notifications hubs on one database send each other. The only package that speaks JDBC.
 */
package io.edgerent.hub.store;
